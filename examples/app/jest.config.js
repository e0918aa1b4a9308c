'use strict'
// jest, run from the repository root: `jest --config examples/app/jest.config.js`.

module.exports = {
  rootDir: __dirname,
  // Only this runner's wrappers; the specs they call live in test/spec.
  roots: ['<rootDir>/test/jest'],
  // The alias. jest resolves the target by package name, here as in an app
  // that installed ipc-main (this repository is the package itself).
  moduleNameMapper: { '^electron$': 'ipc-main/electron' },
  // jest's default, stated: main-process code runs in Node, with no DOM.
  testEnvironment: 'node',
  // A child process renderer starts a fresh Node: allow more than jest's 5 s on a busy CI box.
  testTimeout: 15000,
}
