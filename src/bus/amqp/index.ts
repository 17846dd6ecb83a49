export { createAmqpBus, type AmqpBusOptions } from './amqp-bus';
export { DELAY_LADDER_MS, EVENTS_BINDING, allNames, names as amqpNames, rungFor } from './topology';
