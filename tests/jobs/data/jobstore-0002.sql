BEGIN TRANSACTION;
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO "alembic_version" VALUES('0002');
CREATE TABLE job_events (
	id INTEGER NOT NULL, 
	job_id INTEGER NOT NULL, 
	at FLOAT NOT NULL, 
	action VARCHAR(32) NOT NULL, 
	from_status VARCHAR(16), 
	to_status VARCHAR(16) NOT NULL, 
	note VARCHAR(1000) DEFAULT '' NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(job_id) REFERENCES jobs (id)
);
INSERT INTO "job_events" VALUES(1,1,1767225600.0,'open',NULL,'proposed','');
INSERT INTO "job_events" VALUES(2,1,1767225600.0,'book','proposed','proposed','workshop 1 bay 1 at 1767254400');
INSERT INTO "job_events" VALUES(3,1,1767225610.0,'confirm','proposed','confirmed','');
INSERT INTO "job_events" VALUES(4,1,1767225620.0,'accept','confirmed','accepted','');
INSERT INTO "job_events" VALUES(5,1,1767225630.0,'start','accepted','in_service','');
INSERT INTO "job_events" VALUES(6,1,1767225640.0,'complete','in_service','completed','battery replaced');
INSERT INTO "job_events" VALUES(7,2,1767225650.0,'open',NULL,'confirmed','');
INSERT INTO "job_events" VALUES(8,2,1767225650.0,'book','confirmed','confirmed','workshop 1 bay 1 at 1767254400');
CREATE TABLE jobs (
	id INTEGER NOT NULL, 
	vin VARCHAR(17) NOT NULL, 
	rule_id VARCHAR(64) NOT NULL, 
	title VARCHAR(200) NOT NULL, 
	severity VARCHAR(16) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	workshop_id INTEGER, 
	fired_at FLOAT NOT NULL, 
	created_at FLOAT NOT NULL, 
	updated_at FLOAT NOT NULL, 
	diagnosis JSON NOT NULL, 
	evidence JSON NOT NULL, slot_start FLOAT, slot_end FLOAT, bay INTEGER, outcome VARCHAR(32), 
	PRIMARY KEY (id), 
	FOREIGN KEY(workshop_id) REFERENCES workshops (id)
);
INSERT INTO "jobs" VALUES(1,'WVWZZZ1JZXW000001','lv-battery-low','12 V battery low','warning','completed',1,1767225540.0,1767225600.0,1767225640.0,'{"summary": "12 V battery weak", "labour_hours": 0.5, "skills": ["electrical"]}','{"trigger": {"signal": "Vehicle.LowVoltageBattery.CurrentVoltage", "value": 11.7}}',1767254400.0,1767258000.0,1,'fixed');
INSERT INTO "jobs" VALUES(2,'WVWZZZ1JZXW000002','brake-pads-worn','Brake pads worn','critical','confirmed',1,1767225600.0,1767225650.0,1767225660.0,'{"summary": "pads"}','{"refirings": [{"value": 2.0}]}',1767254400.0,1767258000.0,1,NULL);
CREATE TABLE outbox (
	id INTEGER NOT NULL, 
	url VARCHAR(500) NOT NULL, 
	event VARCHAR(64) NOT NULL, 
	body TEXT NOT NULL, 
	created_at FLOAT NOT NULL, 
	next_attempt_at FLOAT NOT NULL, 
	attempts INTEGER DEFAULT '0' NOT NULL, 
	delivered_at FLOAT, 
	last_error VARCHAR(500) DEFAULT '' NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "outbox" VALUES(1,'http://127.0.0.1:9/owner','job.open','{"at":1767225600.0,"event":"job.open","id":"aaf1fcac0cee48a7a8687eb287fadf18","job":{"fired_at":1767225540.0,"id":1,"outcome":null,"rule_id":"lv-battery-low","severity":"warning","slot_end":null,"slot_start":null,"status":"proposed","title":"12 V battery low","vin":"WVWZZZ1JZXW000001","workshop_id":1}}',1767225600.0,1767225600.0,0,NULL,'');
INSERT INTO "outbox" VALUES(2,'http://127.0.0.1:9/hook','job.open','{"at":1767225600.0,"event":"job.open","id":"d5bc55605f824f84b0f88154b9661044","job":{"fired_at":1767225540.0,"id":1,"outcome":null,"rule_id":"lv-battery-low","severity":"warning","slot_end":null,"slot_start":null,"status":"proposed","title":"12 V battery low","vin":"WVWZZZ1JZXW000001","workshop_id":1}}',1767225600.0,1767225600.0,0,NULL,'');
INSERT INTO "outbox" VALUES(3,'http://127.0.0.1:9/owner','job.book','{"at":1767225600.0,"event":"job.book","id":"b70917604da847929fa12ab3d165206b","job":{"fired_at":1767225540.0,"id":1,"outcome":null,"rule_id":"lv-battery-low","severity":"warning","slot_end":1767258000.0,"slot_start":1767254400.0,"status":"proposed","title":"12 V battery low","vin":"WVWZZZ1JZXW000001","workshop_id":1}}',1767225600.0,1767225600.0,0,NULL,'');
INSERT INTO "outbox" VALUES(4,'http://127.0.0.1:9/hook','job.book','{"at":1767225600.0,"event":"job.book","id":"46dc67dd39a24de2baf79d984c712364","job":{"fired_at":1767225540.0,"id":1,"outcome":null,"rule_id":"lv-battery-low","severity":"warning","slot_end":1767258000.0,"slot_start":1767254400.0,"status":"proposed","title":"12 V battery low","vin":"WVWZZZ1JZXW000001","workshop_id":1}}',1767225600.0,1767225600.0,0,NULL,'');
INSERT INTO "outbox" VALUES(5,'http://127.0.0.1:9/owner','job.confirm','{"at":1767225610.0,"event":"job.confirm","id":"873331b0b75e461eb4f58bbceff1d335","job":{"fired_at":1767225540.0,"id":1,"outcome":null,"rule_id":"lv-battery-low","severity":"warning","slot_end":1767258000.0,"slot_start":1767254400.0,"status":"confirmed","title":"12 V battery low","vin":"WVWZZZ1JZXW000001","workshop_id":1}}',1767225610.0,1767225610.0,0,NULL,'');
INSERT INTO "outbox" VALUES(6,'http://127.0.0.1:9/hook','job.confirm','{"at":1767225610.0,"event":"job.confirm","id":"c0e3699d10044a3c8270a2ef617fcc76","job":{"fired_at":1767225540.0,"id":1,"outcome":null,"rule_id":"lv-battery-low","severity":"warning","slot_end":1767258000.0,"slot_start":1767254400.0,"status":"confirmed","title":"12 V battery low","vin":"WVWZZZ1JZXW000001","workshop_id":1}}',1767225610.0,1767225610.0,0,NULL,'');
INSERT INTO "outbox" VALUES(7,'http://127.0.0.1:9/owner','job.accept','{"at":1767225620.0,"event":"job.accept","id":"339574d8dc02415591d92c1df780acd8","job":{"fired_at":1767225540.0,"id":1,"outcome":null,"rule_id":"lv-battery-low","severity":"warning","slot_end":1767258000.0,"slot_start":1767254400.0,"status":"accepted","title":"12 V battery low","vin":"WVWZZZ1JZXW000001","workshop_id":1}}',1767225620.0,1767225620.0,0,NULL,'');
INSERT INTO "outbox" VALUES(8,'http://127.0.0.1:9/hook','job.accept','{"at":1767225620.0,"event":"job.accept","id":"8062e37803d44a728bbeb0daf13f50e4","job":{"fired_at":1767225540.0,"id":1,"outcome":null,"rule_id":"lv-battery-low","severity":"warning","slot_end":1767258000.0,"slot_start":1767254400.0,"status":"accepted","title":"12 V battery low","vin":"WVWZZZ1JZXW000001","workshop_id":1}}',1767225620.0,1767225620.0,0,NULL,'');
INSERT INTO "outbox" VALUES(9,'http://127.0.0.1:9/owner','job.start','{"at":1767225630.0,"event":"job.start","id":"fc71b60592314384aecabd83392574ff","job":{"fired_at":1767225540.0,"id":1,"outcome":null,"rule_id":"lv-battery-low","severity":"warning","slot_end":1767258000.0,"slot_start":1767254400.0,"status":"in_service","title":"12 V battery low","vin":"WVWZZZ1JZXW000001","workshop_id":1}}',1767225630.0,1767225630.0,0,NULL,'');
INSERT INTO "outbox" VALUES(10,'http://127.0.0.1:9/hook','job.start','{"at":1767225630.0,"event":"job.start","id":"54db038ebc4943618eea6e966bebdd52","job":{"fired_at":1767225540.0,"id":1,"outcome":null,"rule_id":"lv-battery-low","severity":"warning","slot_end":1767258000.0,"slot_start":1767254400.0,"status":"in_service","title":"12 V battery low","vin":"WVWZZZ1JZXW000001","workshop_id":1}}',1767225630.0,1767225630.0,0,NULL,'');
INSERT INTO "outbox" VALUES(11,'http://127.0.0.1:9/owner','job.complete','{"at":1767225640.0,"event":"job.complete","id":"6214814e540b4fc2bbd276d923a3efb5","job":{"fired_at":1767225540.0,"id":1,"outcome":"fixed","rule_id":"lv-battery-low","severity":"warning","slot_end":1767258000.0,"slot_start":1767254400.0,"status":"completed","title":"12 V battery low","vin":"WVWZZZ1JZXW000001","workshop_id":1}}',1767225640.0,1767225640.0,0,NULL,'');
INSERT INTO "outbox" VALUES(12,'http://127.0.0.1:9/hook','job.complete','{"at":1767225640.0,"event":"job.complete","id":"94f9a895bb0e4049b56087c0a0206bdc","job":{"fired_at":1767225540.0,"id":1,"outcome":"fixed","rule_id":"lv-battery-low","severity":"warning","slot_end":1767258000.0,"slot_start":1767254400.0,"status":"completed","title":"12 V battery low","vin":"WVWZZZ1JZXW000001","workshop_id":1}}',1767225640.0,1767225640.0,0,NULL,'');
INSERT INTO "outbox" VALUES(13,'http://127.0.0.1:9/hook','job.open','{"at":1767225650.0,"event":"job.open","id":"ebec1b7fafeb4bddab49ddef83feb11f","job":{"fired_at":1767225600.0,"id":2,"outcome":null,"rule_id":"brake-pads-worn","severity":"info","slot_end":null,"slot_start":null,"status":"confirmed","title":"Brake pads worn","vin":"WVWZZZ1JZXW000002","workshop_id":1}}',1767225650.0,1767225650.0,0,NULL,'');
INSERT INTO "outbox" VALUES(14,'http://127.0.0.1:9/hook','job.book','{"at":1767225650.0,"event":"job.book","id":"e0f9b61f550346f4827f2d21f3339fac","job":{"fired_at":1767225600.0,"id":2,"outcome":null,"rule_id":"brake-pads-worn","severity":"info","slot_end":1767258000.0,"slot_start":1767254400.0,"status":"confirmed","title":"Brake pads worn","vin":"WVWZZZ1JZXW000002","workshop_id":1}}',1767225650.0,1767225650.0,0,NULL,'');
CREATE TABLE owners (
	id INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	preferred_workshop_id INTEGER, 
	auto_confirm BOOLEAN DEFAULT 0 NOT NULL, 
	webhook_url VARCHAR(500), 
	PRIMARY KEY (id), 
	FOREIGN KEY(preferred_workshop_id) REFERENCES workshops (id)
);
INSERT INTO "owners" VALUES(1,'Anna','private',1,0,'http://127.0.0.1:9/owner');
INSERT INTO "owners" VALUES(2,'Fleet','fleet',NULL,1,NULL);
CREATE TABLE reservations (
	workshop_id INTEGER NOT NULL, 
	bay INTEGER NOT NULL, 
	slot_start FLOAT NOT NULL, 
	job_id INTEGER NOT NULL, 
	PRIMARY KEY (workshop_id, bay, slot_start), 
	FOREIGN KEY(workshop_id) REFERENCES workshops (id), 
	FOREIGN KEY(job_id) REFERENCES jobs (id)
);
INSERT INTO "reservations" VALUES(1,1,1767254400.0,2);
CREATE TABLE rule_state (
	scope VARCHAR(64) NOT NULL, 
	state JSON NOT NULL, 
	updated_at FLOAT NOT NULL, 
	PRIMARY KEY (scope)
);
INSERT INTO "rule_state" VALUES('0/1:WVWZZZ1JZXW000002','{"alerts": {"x": 1}}',1767225670.0);
CREATE TABLE vehicles (
	vin VARCHAR(17) NOT NULL, 
	owner_id INTEGER, 
	label VARCHAR(200) DEFAULT '' NOT NULL, 
	PRIMARY KEY (vin), 
	FOREIGN KEY(owner_id) REFERENCES owners (id)
);
INSERT INTO "vehicles" VALUES('WVWZZZ1JZXW000001',1,'Anna''s car');
INSERT INTO "vehicles" VALUES('WVWZZZ1JZXW000002',2,'Van 2');
CREATE TABLE workshops (
	id INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	location VARCHAR(200) NOT NULL, 
	skills JSON NOT NULL, latitude FLOAT, longitude FLOAT, brands JSON, bays INTEGER DEFAULT '1' NOT NULL, hours JSON, timezone VARCHAR(64) DEFAULT 'UTC' NOT NULL, webhook_url VARCHAR(500), 
	PRIMARY KEY (id)
);
INSERT INTO "workshops" VALUES(1,'North Garage','North','["electrical", "brakes"]',52.5,13.4,'[]',2,'[[0, 8.0, 17.0], [1, 8.0, 17.0], [2, 8.0, 17.0], [3, 8.0, 17.0], [4, 8.0, 17.0]]','UTC','http://127.0.0.1:9/hook');
CREATE INDEX ix_jobs_vin ON jobs (vin);
CREATE INDEX ix_jobs_workshop_status ON jobs (workshop_id, status);
CREATE UNIQUE INDEX uq_jobs_open_vin_rule ON jobs (vin, rule_id) WHERE status IN ('proposed', 'confirmed', 'accepted', 'in_service');
CREATE INDEX ix_job_events_job ON job_events (job_id);
CREATE INDEX ix_reservations_job ON reservations (job_id);
CREATE INDEX ix_outbox_due ON outbox (delivered_at, next_attempt_at);
COMMIT;
