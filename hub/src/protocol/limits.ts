/** Limits of the contract shared by the hub and its clients. */
export const MAX_FRAME_BYTES = 64 * 1024;
export const CHAT_MAX_CHARS = 500;
export const MAX_REF_CHARS = 200;
/** The longest token an `auth` frame may carry. */
export const MAX_TOKEN_CHARS = 4096;
/**
 * How deeply a client frame's JSON may nest. JSON.parse reads any depth, but
 * a frame nested thousands deep overflows the stack of whatever walks it next.
 */
export const MAX_FRAME_DEPTH = 32;
/** How deeply a game server's room state or patch may nest; deeper ones are refused as bad input. */
export const MAX_ROOM_STATE_DEPTH = 64;
