/** Limits of the contract shared by the hub and its clients. */
export const MAX_FRAME_BYTES = 64 * 1024;
export const CHAT_MAX_CHARS = 500;
export const MAX_REF_CHARS = 200;
