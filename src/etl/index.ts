export * from './glue-etl-job';
