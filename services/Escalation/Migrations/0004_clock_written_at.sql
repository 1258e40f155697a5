-- When escalation last wrote each clock (the writing transaction's start, in the database's time, whatever clock
-- the service runs on). A clock's own instants are its events'; this one says how far behind them escalation ran,
-- and it is how `make bench` times the clocked stage: the acknowledge clock running for the person who owns the case.
alter table clocks add column written_at timestamptz not null default now();
