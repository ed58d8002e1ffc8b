export * from './pipeline-orchestrator';
export * from './orchestrator-interface';
