// vitest, run from the repository root: `vitest run --config examples/app/vitest.config.mjs`.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const repo = fileURLToPath(new URL('../../', import.meta.url)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Vite keeps its cache under the root's node_modules: use the repository's.
  cacheDir: fileURLToPath(new URL('../../node_modules/.vite', import.meta.url)),
  resolve: {
    // The alias, for `import ... from 'electron'` (an installed app writes
    // 'ipc-main/electron'). Vite's aliases do not reach require() in
    // CommonJS files (vitest issue #1910), hence the setup file below.
    alias: { electron: 'ipc-main/electron' },
  },
  test: {
    // The same alias for require('electron'), as for node --test and mocha.
    setupFiles: ['test/electron-alias.js'],
    // Here ipc-main is this repository, not a package under node_modules, so
    // vitest would run it through Vite, which drops electron.js's getter
    // exports and makes a second copy beside require()'s. Load it with Node,
    // as an installed package is.
    server: { deps: { external: [new RegExp(`^${repo}(index|electron)\\.m?js$`)] } },
    // Only this runner's wrappers; the specs they call live in test/spec.
    include: ['test/vitest/**/*.test.mjs'],
    // A child process renderer starts a fresh Node: allow more than 5 s on a busy CI box.
    testTimeout: 15000,
  },
})
