export * from './weather-pipeline';
