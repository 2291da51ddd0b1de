export * from './tags';
export * from './ed25519';
export * from './receipt';
export * from './request';
export * from './certificate';
