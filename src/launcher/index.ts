export { type ClusterPlan, DEFAULT_UP_OPTIONS, evenSlotRanges, planCluster, type UpOptions } from './plan.ts';
export { PROGRAMS, type ProgramName, programExists, programFile, programName } from './programs.ts';
export { ClusterRunner, up } from './up.ts';
