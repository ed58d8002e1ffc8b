export * from './contract';
export * from './storage';
export * from './ingestion';
export * from './catalog';
export * from './etl';
export * from './orchestration';
export * from './pipeline';
export * from './monitoring';
