export * from './data-zone-props';
export * from './landing-zone';
export * from './refined-lake';
