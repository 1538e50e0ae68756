import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DeliveryState } from './events';

// Shared by the delivery workflow and the API (`POST /v1/webhook-failures/{webhookId}/redeliver`).

/** Send a failed delivery again: same webhook-id, same body, fresh attempts. Ignored unless it failed. */
export const redeliverSignal = defineSignal('redeliver');
export const getDeliveryQuery = defineQuery<DeliveryState>('getDelivery');
