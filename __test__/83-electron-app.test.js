'use strict'

// The stand-in's `app`: the part of Electron's app that libraries read to
// find their files (electron-store, electron-log): name and version from
// the app's package.json, getPath/setPath with Electron's defaults.

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const os = require('node:os')
const path = require('node:path')
const { EventEmitter } = require('node:events')

const { app } = require('../electron')
const pkg = require('../package.json')

describe('ipc-main/electron app', () => {
  it("name and version come from the package.json nearest the main script (this repo's, here)", () => {
    assert.equal(app.getName(), pkg.name)
    assert.equal(app.name, pkg.name)
    assert.equal(app.getVersion(), pkg.version)
    assert.equal(app.isPackaged, false)
  })

  it('is ready at once and is an EventEmitter (libraries listen for its events)', async () => {
    assert.ok(app instanceof EventEmitter)
    assert.equal(app.isReady(), true)
    assert.equal(await app.whenReady(), undefined)
  })

  it("getPath has Electron's Linux defaults; userData is appData/<name>", { skip: process.platform !== 'linux' }, () => {
    const appData = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config')
    assert.equal(app.getPath('home'), os.homedir())
    assert.equal(app.getPath('appData'), appData)
    assert.equal(app.getPath('userData'), path.join(appData, app.name))
    assert.equal(app.getPath('logs'), path.join(appData, app.name, 'logs'))
    assert.equal(app.getPath('temp'), os.tmpdir())
    assert.equal(app.getPath('exe'), process.execPath)
  })

  it("setPath overrides one directory (and what derives from userData); an unknown name throws Electron's text", (t) => {
    const dir = path.join(os.tmpdir(), 'ipc-main-app-test')
    app.setPath('userData', dir)
    t.after(() => app._paths.delete('userData'))
    assert.equal(app.getPath('userData'), dir)
    assert.equal(app.getPath('logs'), path.join(dir, 'logs'))
    assert.throws(() => app.getPath('nowhere'), { message: "Failed to get 'nowhere' path" })
    assert.throws(() => app.setPath('userData', 'relative/dir'), { message: /absolute/ })
  })

  it('setName renames the app', (t) => {
    t.after(() => (app._name = null))
    app.setName('My App')
    assert.equal(app.getName(), 'My App')
    assert.ok(app.getPath('userData').endsWith(`${path.sep}My App`))
  })
})
