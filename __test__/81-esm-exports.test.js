'use strict'

// The ESM entries export every named export of their CommonJS modules, and
// nothing else (API.md §1): a name added to index.js or electron.js and
// forgotten in the .mjs fails here.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { pathToFileURL } = require('node:url')

const ROOT = path.join(__dirname, '..')

for (const [cjsFile, esmFile] of [
  ['index.js', 'index.mjs'],
  ['electron.js', 'electron.mjs'],
]) {
  describe(`${esmFile} and ${cjsFile}`, () => {
    const load = async () => {
      const cjs = require(path.join(ROOT, cjsFile))
      const esm = await import(pathToFileURL(path.join(ROOT, esmFile)).href)
      const named = Object.keys(esm).filter((k) => k !== 'default')
      return { cjs, esm, named }
    }

    it(`every named export of ${cjsFile} is a named export of ${esmFile}`, async () => {
      const { cjs, named } = await load()
      const missing = Object.keys(cjs).filter((k) => !named.includes(k))
      assert.deepEqual(missing, [])
    })

    it(`${esmFile} exports nothing ${cjsFile} does not`, async () => {
      const { cjs, named } = await load()
      const extra = named.filter((k) => !Object.hasOwn(cjs, k))
      assert.deepEqual(extra, [])
    })

    it(`each named export is the same value, and default is the CommonJS module`, async () => {
      const { cjs, esm, named } = await load()
      assert.equal(esm.default, cjs)
      for (const k of named) assert.equal(esm[k], cjs[k], k)
    })
  })
}
