// vitest; `electron` is aliased by ../../vitest.config.mjs (resolve.alias, and
// ../electron-alias.js as a setup file for require()).
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it, beforeAll, afterAll, beforeEach, afterEach } from 'vitest'
import { ipcMain } from 'electron'
import spec from '../spec/in-process.js'

spec({ describe, it, before: beforeAll, after: afterAll, beforeEach, afterEach })

// Test code that imports `electron` must reach the ipcMain the app's
// require('electron') registered on, not a second copy.
it('import from "electron" gives the same ipcMain as require("electron")', () => {
  assert.equal(ipcMain, createRequire(import.meta.url)('electron').ipcMain)
})
