"""The console's unbound Flask extensions (bound in ``server.console.init_app``)."""

from __future__ import annotations

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_wtf import CSRFProtect

babel = Babel()
bootstrap = Bootstrap5()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "console.sign_in"
# Flask-Login's own default message is English and unlabelled; the sign-in page says why.
login_manager.login_message = None
# A session is dropped when the browser's address changes network identity markers.
login_manager.session_protection = "strong"
