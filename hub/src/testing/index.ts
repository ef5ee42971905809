export { startTestNats, TEST_PASSWORDS, type TestNats } from './nats-server.js';
export { startHubProcess, type HubProcess } from './hub-process.js';
export { startServiceProcess, type ServiceProcess } from './service-process.js';
export { TestWsClient } from './ws-client.js';
export { TestSseClient, TestPollClient } from './stream-clients.js';
export { FrameQueue } from './frame-queue.js';
export { testToken, TEST_JWT_SECRET } from './tokens.js';
export { HostileClients, maskedText, type HostileTally, type AttackKind } from './hostile-clients.js';
export { hubNode, natsNodes, pickPorts, startLocalCluster, type LocalCluster, type ClusterMember } from './local-cluster.js';
export { lintMetrics, prometheusTool, startPrometheus, type TestPrometheus } from './prometheus.js';
// Tests place metric names on chosen rollup partitions.
export { partitionOf, ROLLUP_PARTITIONS } from '../rollups/partitions.js';
