# Quick start: `make demo`, then `make test`. Every target sets up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q simulator scenarios calibration  # start-up: no compiling on each run
	touch $(STAMP)

DEMO := results/demo
SIM := $(BIN)/helpdesk-sim

# The main job end to end: the bundled examples (a call centre; an IT helpdesk with tickets), then a
# real history calibrated, back-tested, and a scenario built on the fresh profile; last, the IT
# helpdesk compared with two what-ifs, with its HTML report; what it needs per interval, and the
# least-cost roster from its allowed shifts against the current one.
demo: $(STAMP)
	@echo "== 1. Bundled example: scenarios/library/baseline.yaml"
	$(SIM) run scenarios/library/baseline.yaml --out results/baseline
	@echo "== 2. IT helpdesk: L1 phone and email, escalation to L2 tickets, repeats, business-hour SLAs"
	$(SIM) run scenarios/library/it-helpdesk.yaml --out results/it-helpdesk
	@echo "== 3. Calibrate one week of the Anonymous Bank call log (calibration/data)"
	$(SIM) calibrate calibration/data/bank_1999-01_week.txt --format anonymous-bank \
		--out $(DEMO)/profile.yaml --report $(DEMO)/report
	@echo "== 4. Back-test: replay that week with the fitted model; where model and history agree and differ"
	$(SIM) backtest $(DEMO)/profile.yaml --out $(DEMO)/backtest
	$(SIM) backtest $(DEMO)/profile.yaml --availability 0.75 --out $(DEMO)/backtest-availability-0.75
	@echo "== 5. The bank scenario built on the fresh profile: projected KPIs"
	$(SIM) run scenarios/library/bank.yaml --set demand.profile=$(CURDIR)/$(DEMO)/profile.yaml --out $(DEMO)/bank
	@echo "== 6. Compare the IT helpdesk with two what-ifs (callback; a self-service portal) over the same customers"
	$(SIM) compare scenarios/library/it-helpdesk.yaml scenarios/library/it-helpdesk-callback.yaml \
		scenarios/library/it-helpdesk-portal.yaml --workers 2 --out results/compare-it-helpdesk --report
	@echo "== 7. What the IT helpdesk needs per interval (simulated staffing, beside SIPP's Erlang answer)"
	$(SIM) staff scenarios/library/it-helpdesk.yaml --target service_level=0.8 -r 10 --workers 2 \
		--out results/staff-it-helpdesk
	@echo "== 8. The least-cost L1 roster from the allowed shifts, verified by simulation, against the current one"
	$(SIM) schedule scenarios/library/it-helpdesk.yaml --shifts scenarios/library/it-helpdesk-shifts.yaml \
		--target service_level=0.8 --requirements results/staff-it-helpdesk/requirements.csv -r 10 --workers 2 \
		--out results/schedule-it-helpdesk --report
	@echo "== Open results/compare-it-helpdesk/report.html and results/schedule-it-helpdesk/report.html in a browser"

test: $(STAMP)
	$(BIN)/python -m pytest -n 2

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) results .pytest_cache
