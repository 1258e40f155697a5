using Accountability.Escalation;
using Accountability.ServiceDefaults;

var builder = AccountabilityWebApplication.CreateBuilder(args);
builder.AddServiceDefaults("escalation");
builder.AddEscalation();

var app = builder.Build();
app.UseServiceDefaults();
app.MapEscalationEndpoints();

app.Run();
