export { MetricsPublisher, type PublisherOptions, type PublisherStats } from './metrics-publisher.js';
