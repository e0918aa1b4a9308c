'use strict'
// The window's preload: nothing to expose. electron-store is used from the
// page itself, as its README shows for a renderer with nodeIntegration
// (the window is opened with contextIsolation off).
