export { ARENA, CoinChase, SPEED, TICK_MS, move, type CoinChaseState, type Player, type Steer } from './coin-chase.js';
export { BOT_PREFIX, DEMO_ROOM, GameServer } from './game-server.js';
export { RoomBots, ROOM_BOTS } from './room-bots.js';
export { INPUTS_PER_S, type InputRefusal } from './input-check.js';
export { DemoMetricFeed } from './metric-feed.js';
