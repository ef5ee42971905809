export * from './frames.js';
export * from './errors.js';
export * from './channel.js';
export * from './series.js';
export * from './rollup.js';
export * from './limits.js';
export * from './room.js';
export * from './merge-patch.js';
