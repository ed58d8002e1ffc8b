export * from './ingestion-interface';
export * from './ingestion-request';
export * from './weather-ingestion';
export * from './weather-source';
