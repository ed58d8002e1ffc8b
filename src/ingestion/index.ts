export * from './ingestion-request';
export * from './weather-ingestion';
