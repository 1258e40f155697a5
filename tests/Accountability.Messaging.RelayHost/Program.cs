using Accountability.Messaging;
using Microsoft.Extensions.Hosting;

// Drains the outbox of the schema named by --Relay:Schema, and nothing else.
var builder = Host.CreateApplicationBuilder(args);
var schema = builder.Configuration["Relay:Schema"]
    ?? throw new InvalidOperationException("Pass --Relay:Schema <schema>.");
builder.AddAccountabilityMessaging(schema, typeof(Program).Assembly);

await builder.Build().RunAsync();
