export * from './contract';
export * from './ingestion';
