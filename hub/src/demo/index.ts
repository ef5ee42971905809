export { ARENA, CoinChase, type CoinChaseState, type Player } from './coin-chase.js';
export { DemoGameServer, DEMO_ROOM } from './game-server.js';
export { DemoMetricFeed } from './metric-feed.js';
