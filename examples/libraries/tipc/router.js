'use strict'
// The main-process half of a small notes app written with @egoist/tipc, as
// its README and example app do: a router of actions, and main -> renderer
// events through getRendererHandlers(webContents). Nothing here knows about
// ipc-main; `electron` is whatever the test aliases.

const { BrowserWindow } = require('electron')
const { tipc, getRendererHandlers } = require('@egoist/tipc/main')

function createApp() {
  const t = tipc.create()
  const notes = new Map()
  let nextId = 1

  const router = {
    sum: t.procedure.input().action(async ({ input }) => input.a + input.b),

    // context.sender is the WebContents that called (tipc's README).
    whoami: t.procedure.action(async ({ context }) => ({
      webContentsId: context.sender.id,
      windowId: BrowserWindow.fromWebContents(context.sender).id,
    })),

    addNote: t.procedure.input().action(async ({ input, context }) => {
      if (typeof input !== 'object' || input === null || typeof input.text !== 'string' || input.text.trim() === '') {
        throw new Error('A note needs some text')
      }
      const note = { id: nextId++, text: input.text.trim(), created: new Date() }
      notes.set(note.id, note)
      // main -> renderer, fire and forget
      getRendererHandlers(context.sender).noteAdded.send(note)
      return note
    }),

    // Asks the window before deleting: a main -> renderer invoke made while
    // the window's own invoke is still waiting for its answer.
    deleteNote: t.procedure.input().action(async ({ input, context }) => {
      const yes = await getRendererHandlers(context.sender).confirm.invoke(`Delete note ${input}?`)
      return yes ? notes.delete(input) : false
    }),
  }

  return { router, notes }
}

module.exports = { createApp }
