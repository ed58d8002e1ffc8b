export * from './city';
export * from './manifest';
export * from './weather-contract';
