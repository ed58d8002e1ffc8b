export * from './quicksight-dashboard';
