from api.app import create_app
from inlet.settings import Settings

app = create_app(Settings.from_env())
