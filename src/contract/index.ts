export * from './city';
export * from './definitions';
export * from './manifest';
export * from './partition-granularity';
export * from './weather-contract';
