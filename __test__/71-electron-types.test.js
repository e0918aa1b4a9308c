'use strict'

// Type checks against Electron's real electron.d.ts (API.md §1):
// - electron-real/: Electron's own IpcMainEvent / IpcMainInvokeEvent /
//   IpcRendererEvent are assignable to ours;
// - electron-alias/: code written against `electron` compiles when tsconfig
//   `paths` maps `electron` to ipc-main's stand-in.
//
// Electron is never installed (its postinstall downloads a browser): the
// test fetches the pinned package's tarball with `npm pack` (no scripts run)
// and keeps only electron.d.ts, cached under node_modules/.cache/ipc-main.

const { test } = require('node:test')
const assert = require('node:assert')
const { spawnSync, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ELECTRON = '45.5.0'
const root = path.join(__dirname, '..')
const cacheDir = path.join(root, 'node_modules', '.cache', 'ipc-main')
const dts = path.join(cacheDir, 'electron.d.ts')
const stamp = path.join(cacheDir, 'electron.version')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')

function fetchElectronTypes() {
  if (fs.existsSync(dts) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === ELECTRON) return
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-main-electron-'))
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    const out = execFileSync(npm, ['pack', `electron@${ELECTRON}`, '--pack-destination', tmp, '--silent'], {
      cwd: tmp,
      encoding: 'utf8',
      shell: process.platform === 'win32',
    })
    const tarball = path.join(tmp, out.trim().split('\n').pop())
    execFileSync('tar', ['-xzf', tarball, '-C', tmp, 'package/electron.d.ts'])
    fs.mkdirSync(cacheDir, { recursive: true })
    fs.copyFileSync(path.join(tmp, 'package', 'electron.d.ts'), dts)
    fs.writeFileSync(stamp, ELECTRON)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

function typeCheck(project) {
  const r = spawnSync(process.execPath, [tsc, '-p', project, '--pretty', 'false'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 170_000,
  })
  if (r.error) throw r.error
  const output = `${r.stdout || ''}${r.stderr || ''}`
  assert.strictEqual(r.status, 0, `tsc -p ${project} failed:\n${output}`)
}

test(`Electron ${ELECTRON}'s event objects are assignable to ours (real electron.d.ts)`, { timeout: 180_000 }, () => {
  assert.ok(fs.existsSync(tsc), 'TypeScript is not installed: run `npm install`')
  fetchElectronTypes()
  typeCheck(path.join('__test__', 'types', 'electron-real'))
})

test('code written against `electron` compiles with `electron` mapped to ipc-main/electron', { timeout: 180_000 }, () => {
  typeCheck(path.join('__test__', 'types', 'electron-alias'))
})
