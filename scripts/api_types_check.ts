// Type-checked (never run) against the types openapi-typescript generates from /openapi.json:
// the shapes a TypeScript integrator writes for the core workflow must compile.
import type { components, paths } from "./schema";

type Schemas = components["schemas"];

const schedule: Schemas["ScheduleSpec"] = {
  type: "recurring",
  rrule: "FREQ=MONTHLY;BYMONTHDAY=15",
  start: "2031-01-15T09:00:00",
  timezone: "Europe/London",
};

const draft: Schemas["CreateReminderRequest"] = {
  title: "VAT return",
  body: "Hello {{ client.name }}",
  channels: ["email", "sms"],
  schedule,
  payment: { amount: 12500, currency: "gbp" },
};

type ClientPage =
  paths["/api/v1/clients"]["get"]["responses"]["200"]["content"]["application/json"];

function names(page: ClientPage): string[] {
  return page.items.map((client: Schemas["ClientResponse"]) => client.name);
}

function isRecurring(
  spec: Schemas["ScheduleSpec"],
): spec is Schemas["RecurringSchedule"] {
  return spec.type === "recurring";
}

export { draft, isRecurring, names };
