/**
 * Task queues by load profile, so each can be scaled on its own: workflow tasks, sends (I/O bound,
 * rate-limited per provider), scoring (CPU bound) and planning (LLM calls).
 */
export type TaskQueueKind = 'workflows' | 'sends' | 'scoring' | 'planning';

export const taskQueueKinds: readonly TaskQueueKind[] = ['workflows', 'sends', 'scoring', 'planning'];

export type TaskQueues = Record<TaskQueueKind, string>;

export function taskQueues(prefix: string): TaskQueues {
  return {
    workflows: `${prefix}-workflows`,
    sends: `${prefix}-sends`,
    scoring: `${prefix}-scoring`,
    planning: `${prefix}-planning`,
  };
}
