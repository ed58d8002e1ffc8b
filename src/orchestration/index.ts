export * from './pipeline-orchestrator';
