'use strict'
// Preloaded with `--require` by `npm run test:libraries`: `electron`
// resolves to ipc-main's stand-in for require() (../app/test/electron-alias.js,
// the CommonJS resolver) and for import: electron-store ships ESM only, and
// on Node 20 module.register() hooks are what sees an import. Workers and
// forked children inherit the `--require`, so they get both too.

require('../app/test/electron-alias.js')

const path = require('node:path')
const { register } = require('node:module')
const { pathToFileURL } = require('node:url')

// The stand-in's ESM form, as the package's `import` condition names it.
const target = pathToFileURL(path.join(path.dirname(require.resolve('ipc-main/package.json')), 'electron.mjs')).href
register('./electron-hooks.mjs', pathToFileURL(__filename), { data: { target } })
