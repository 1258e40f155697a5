using Accountability.Assignment;
using Accountability.ServiceDefaults;

var builder = AccountabilityWebApplication.CreateBuilder(args);
builder.AddServiceDefaults("assignment");
builder.AddAssignment();

var app = builder.Build();
app.UseServiceDefaults();
app.MapAssignmentEndpoints();

app.Run();
