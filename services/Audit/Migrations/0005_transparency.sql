-- The transparency figures name units by the newest directory in the trail; this finds it without a scan.
create index audit_events_directory on audit_events (global_seq) where type = 'DirectoryPublished';
