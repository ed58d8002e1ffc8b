export * from './pipeline-orchestrator';
export * from './orchestrator-interface';
export * from './missing-city-action';
