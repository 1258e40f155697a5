using Accountability.Escalation;
using Accountability.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("escalation");
builder.AddEscalation();

var app = builder.Build();
app.UseServiceDefaults();
app.MapEscalationEndpoints();

app.Run();
