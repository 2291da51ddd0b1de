/** Public API of the client SDK. */
export * from './errors';
export * from './client';
export * from './attestation';
export * from './protocol';
export * from './session';
export { fetchAttestation, postRequest, requestReplySchema } from './workerApi';
export type { RequestBody, RequestReply } from './workerApi';
export { ChainAccess, exitCodeOf } from './chain';
export { trustFor } from './trust';
