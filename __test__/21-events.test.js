'use strict'

// The event objects main's listeners and handlers receive (API.md §3, research §7).

const { describe, it } = require('node:test')
const assert = require('node:assert/strict')

const { SUITE, setup, webContentsOf, next } = require('./helpers')

/** The IpcMainEvent of one `send` from `r`. */
async function sendEvent(hub, r, channel = 'ch') {
  const arrived = next(hub, channel)
  r.send(channel)
  const [event] = await arrived
  return event
}

/** The IpcMainEvent of one `sendSync` from `r`. */
function sendSyncEvent(hub, r, channel = 'sync') {
  let event
  hub.once(channel, (e) => {
    event = e
    e.returnValue = null
  })
  r.sendSync(channel)
  return event
}

/** The IpcMainInvokeEvent of one `invoke` from `r`. */
async function invokeEvent(hub, r, channel = 'inv') {
  let event
  hub.handleOnce(channel, (e) => {
    event = e
  })
  await r.invoke(channel)
  return event
}

/** The fields API.md §3 gives both IpcMainEvent and IpcMainInvokeEvent. */
function assertCommonFields(event, wc) {
  assert.equal(event.type, 'frame')
  assert.equal(event.processId, process.pid)
  assert.ok(Number.isInteger(event.frameId), `frameId is an integer (got ${event.frameId})`)
  assert.equal(event.sender, wc)
  assert.equal(typeof event.senderFrame, 'object')
  assert.notEqual(event.senderFrame, null)
  assert.equal(event.senderFrame.processId, process.pid)
  assert.equal(event.senderFrame.routingId, event.frameId)
  assert.equal(typeof event.senderFrame.send, 'function')
}

describe('IpcMainEvent', SUITE, () => {
  it('of a send has type, processId, frameId, sender, senderFrame, ports and reply', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const event = await sendEvent(hub, r)
    assertCommonFields(event, wc)
    assert.deepEqual(event.ports, [])
    assert.equal(typeof event.reply, 'function')
  })

  it('of a sendSync has the same fields', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const event = sendSyncEvent(hub, r)
    assertCommonFields(event, wc)
    assert.deepEqual(event.ports, [])
    assert.equal(typeof event.reply, 'function')
  })

  it('frameId is stable per renderer', async (t) => {
    const { hub, r } = setup(t)
    const a = await sendEvent(hub, r)
    const b = await sendEvent(hub, r)
    const c = sendSyncEvent(hub, r)
    const d = await invokeEvent(hub, r)
    assert.equal(a.frameId, b.frameId)
    assert.equal(a.frameId, c.frameId)
    assert.equal(a.frameId, d.frameId)
  })

  it('frameId differs between two renderers of the same hub', async (t) => {
    const { hub, r } = setup(t)
    const r2 = hub.createRenderer()
    const a = await sendEvent(hub, r)
    const b = await sendEvent(hub, r2)
    assert.notEqual(a.frameId, b.frameId)
    assert.notEqual(a.sender, b.sender)
  })

  it('sender is the same object for every message of one renderer', async (t) => {
    const { hub, r } = setup(t)
    const a = await sendEvent(hub, r)
    const b = sendSyncEvent(hub, r)
    const c = await invokeEvent(hub, r)
    assert.equal(a.sender, b.sender)
    assert.equal(a.sender, c.sender)
  })

  it('each message gets a new event object', async (t) => {
    const { hub, r } = setup(t)
    const a = await sendEvent(hub, r)
    const b = await sendEvent(hub, r)
    assert.notEqual(a, b)
  })

  it('reply() returns undefined', async (t) => {
    const { hub, r } = setup(t)
    const event = await sendEvent(hub, r)
    const got = next(r, 'back')
    assert.equal(event.reply('back'), undefined)
    await got
  })
})

describe('IpcMainInvokeEvent', SUITE, () => {
  it('has type, processId, frameId, sender and senderFrame', async (t) => {
    const { hub, r } = setup(t)
    const wc = await webContentsOf(hub, r)
    const event = await invokeEvent(hub, r)
    assertCommonFields(event, wc)
  })

  it('has no reply and no returnValue', async (t) => {
    const { hub, r } = setup(t)
    const event = await invokeEvent(hub, r)
    assert.equal('reply' in event, false)
    assert.equal('returnValue' in event, false)
  })

  it('senderFrame.send reaches the invoking renderer', async (t) => {
    const { hub, r } = setup(t)
    hub.handle('inv', (event) => {
      event.senderFrame.send('from-frame', 'hi')
      return 'done'
    })
    const got = next(r, 'from-frame')
    assert.equal(await r.invoke('inv'), 'done')
    const [, arg] = await got
    assert.equal(arg, 'hi')
  })
})
