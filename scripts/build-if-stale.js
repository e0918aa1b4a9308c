'use strict'
// `npm test` runs this first: rebuild the addon (release) only when a Rust
// source, Cargo.toml/Cargo.lock or build.rs is newer than the built .node.

const { execSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const addon = fs.readdirSync(root).find((f) => f.endsWith('.node'))

function newest(p) {
  const st = fs.statSync(p)
  if (!st.isDirectory()) return st.mtimeMs
  let m = 0
  for (const f of fs.readdirSync(p)) m = Math.max(m, newest(path.join(p, f)))
  return m
}

const sources = ['src', 'Cargo.toml', 'Cargo.lock', 'build.rs']
  .map((f) => path.join(root, f))
  .filter((f) => fs.existsSync(f))
const stale = !addon || Math.max(...sources.map(newest)) > fs.statSync(path.join(root, addon)).mtimeMs

if (stale) {
  console.log(addon ? 'ipc-main: sources changed, rebuilding the addon' : 'ipc-main: building the addon')
  execSync('npm run build', { cwd: root, stdio: 'inherit' })
}
