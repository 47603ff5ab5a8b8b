/** `GET /api/customers/:id/journeys`: the journeys that ran for the customer and what they sent. */
export interface CustomerJourney {
  id: string;
  journey: 'welcome' | 'post_purchase' | 'win_back' | 'abandoned_cart';
  workflowId: string;
  trigger: 'event' | 'scoring';
  status: 'running' | 'completed' | 'exited';
  exitReason: string | null;
  startedAt: string;
  finishedAt: string | null;
  sends: {
    id: string;
    step: number;
    channel: 'email' | 'sms';
    status: string;
    skipReason: string | null;
    sentAt: string | null;
    openedAt: string | null;
    clickedAt: string | null;
  }[];
}
