using Accountability.Audit;
using Accountability.ServiceDefaults;

var builder = AccountabilityWebApplication.CreateBuilder(args);
builder.AddServiceDefaults("audit");
builder.AddAudit();

var app = builder.Build();
app.UseServiceDefaults();
app.MapAuditEndpoints();

app.Run();
