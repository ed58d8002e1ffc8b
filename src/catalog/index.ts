export * from './athena-catalog';
export * from './catalog-query';
