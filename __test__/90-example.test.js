'use strict'

// `npm start` runs examples/main.js: main-process code answered by the
// in-process, worker and child-process renderers. It must print what each
// renderer got and end by itself (nothing of ours left keeping it alive).

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { SUITE } = require('./helpers')

describe('examples/main.js (npm start)', SUITE, () => {
  it('talks to all three renderers and exits with code 0 on its own', async () => {
    const script = path.join(__dirname, '..', 'examples', 'main.js')
    const { stdout } = await new Promise((resolve, reject) => {
      execFile(process.execPath, [script], { timeout: 60_000 }, (err, out, errOut) =>
        err ? reject(Object.assign(err, { stdout: out, stderr: errOut })) : resolve({ stdout: out }),
      )
    })
    for (const line of [
      'in-process renderer: 2 + 3 = 5',
      'in-process renderer: hi the in-process renderer',
      'worker: config lang = en (blocking sendSync)',
      'worker: 40 + 2 = 42',
      'main: child exited (crashed: false)',
      'main: done',
    ]) {
      assert.ok(stdout.includes(line), `missing "${line}" in:\n${stdout}`)
    }
    const child = /main: forked pid (\d+) as WebContents #(\d+)/.exec(stdout)
    assert.ok(child, stdout)
    assert.ok(stdout.includes(`main: hello from child process ${child[1]} (WebContents #${child[2]}, pid ${child[1]})`))
    assert.ok(stdout.includes(`child process ${child[1]}: 100 + 2 = 102`))
  })
})
