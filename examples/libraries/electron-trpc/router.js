'use strict'
// The main-process half of a small notes app, as it would be written for
// Electron with tRPC v10: a router of queries, mutations and a subscription.
// Nothing here knows about ipc-main; `electron` is whatever the test aliases.

const { EventEmitter } = require('node:events')
const { BrowserWindow } = require('electron')
const { initTRPC, TRPCError } = require('@trpc/server')
const { observable } = require('@trpc/server/observable')

function createApp() {
  const t = initTRPC.create()
  const notes = new Map()
  const added = new EventEmitter()
  let nextId = 1

  const noteText = (input) => {
    if (typeof input !== 'object' || input === null || typeof input.text !== 'string' || input.text.trim() === '') {
      throw new Error('A note needs some text')
    }
    return { text: input.text.trim() }
  }

  const router = t.router({
    // ctx.event is the IpcMainEvent electron-trpc hands to createContext.
    whoami: t.procedure.query(({ ctx }) => ({
      webContentsId: ctx.event.sender.id,
      windowId: BrowserWindow.fromWebContents(ctx.event.sender).id,
      frameId: ctx.event.senderFrame.routingId,
    })),
    notes: t.router({
      add: t.procedure.input(noteText).mutation(({ input }) => {
        const note = { id: nextId++, text: input.text, created: new Date() }
        notes.set(note.id, note)
        added.emit('note', note)
        return note
      }),
      get: t.procedure
        .input((v) => Number(v))
        .query(({ input }) => {
          const note = notes.get(input)
          if (note === undefined) throw new TRPCError({ code: 'NOT_FOUND', message: `No note ${input}` })
          return note
        }),
      count: t.procedure.query(() => notes.size),
      // Main pushes every new note to the windows that subscribed.
      onAdd: t.procedure.subscription(() =>
        observable((emit) => {
          const onNote = (note) => emit.next(note)
          added.on('note', onNote)
          return () => added.off('note', onNote)
        }),
      ),
    }),
    // A bug in main: a plain Error, not a TRPCError.
    backup: t.procedure.mutation(() => {
      throw new Error('disk full')
    }),
  })

  // The test reads how many subscriptions main still serves, and awaits a
  // count (electron-trpc handles each message asynchronously, so a
  // subscription goes live some ticks after its request arrived).
  const liveSubscriptions = () => added.listenerCount('note')
  const whenLive = (n) =>
    new Promise((resolve) => {
      const check = () => {
        if (liveSubscriptions() !== n) return
        added.off('newListener', afterAdd)
        added.off('removeListener', check)
        resolve()
      }
      // 'newListener' is emitted before the listener is added.
      const afterAdd = () => process.nextTick(check)
      added.on('newListener', afterAdd)
      added.on('removeListener', check)
      check()
    })
  return { router, notes, liveSubscriptions, whenLive }
}

module.exports = { createApp }
