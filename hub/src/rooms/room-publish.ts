import { CHAT_MAX_CHARS, fail, ok, type Json, type Result, type RoomPublishData } from '../protocol/index.js';

/** Checks a client's room publication before anything else looks at it. */
export function readRoomPublish(data: unknown): Result<RoomPublishData> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return fail('bad_request', 'room data must be {"kind":"input"|"chat"|"typing", ...}');
  }
  const d = data as Record<string, unknown>;
  switch (d.kind) {
    case 'input':
      if (!('input' in d)) return fail('bad_request', 'an input needs "input"');
      // Client frames are parsed JSON, so whatever `input` holds is JSON.
      return ok({ kind: 'input', input: d.input as Json });
    case 'chat':
      if (typeof d.text !== 'string' || d.text.trim() === '') return fail('bad_request', 'a chat line needs a non-empty "text"');
      // Counted in characters as people see them, not UTF-16 units.
      if ([...d.text].length > CHAT_MAX_CHARS) return fail('too_large', `a chat line is at most ${CHAT_MAX_CHARS} characters`);
      return ok({ kind: 'chat', text: d.text });
    case 'typing':
      if (typeof d.on !== 'boolean') return fail('bad_request', 'typing needs "on": true or false');
      return ok({ kind: 'typing', on: d.on });
    default:
      return fail('bad_request', 'room data kind must be input, chat or typing');
  }
}
