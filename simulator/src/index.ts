export {};
export * from './ack-peer/ack-peer.js';
